// Progressive enhancement only: every page and form works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // After a failed submit, put the keyboard focus on the first field with an error.
  var invalid = document.querySelector(".field-error input, .field-error select");
  if (invalid) {
    invalid.setAttribute("aria-invalid", "true");
    invalid.focus();
  }
});
