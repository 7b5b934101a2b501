/* The program dashboard: the filter's small helpers and the charts (Chart.js from
   static/vendor/chartjs). The data comes from the page's <script type="application/json">
   (json_script), so no inline script is needed under the Content-Security-Policy. */
(function () {
    "use strict";

    const lang = document.documentElement.lang || "ru";

    function setUpFilter() {
        const form = document.getElementById("dashboard-filter");
        if (!form) return;
        const period = form.querySelector("#id_period");
        const dates = form.querySelectorAll(".dash-field-start, .dash-field-end");
        const partner = form.querySelector("#id_partner");
        const store = form.querySelector("#id_store");

        function showDates() {
            const custom = period.value === "custom";
            dates.forEach((field) => { field.hidden = !custom; });
        }
        if (period) {
            period.addEventListener("change", showDates);
            showDates();
        }
        // Only the chosen partner's stores are offered.
        function filterStores() {
            if (!partner || !store) return;
            for (const option of store.options) {
                const owner = option.dataset.partner;
                const offered = !owner || !partner.value || owner === partner.value;
                option.hidden = !offered;
                option.disabled = !offered;
                if (!offered && option.selected) store.value = "";
            }
        }
        if (partner) {
            partner.addEventListener("change", filterStores);
            filterStores();
        }
    }

    function numberFormat(options) {
        return new Intl.NumberFormat(lang, options);
    }

    function dayLabel(iso) {
        const [y, m, d] = iso.split("-").map(Number);
        return new Intl.DateTimeFormat(lang, { day: "numeric", month: "short" })
            .format(new Date(y, m - 1, d));
    }

    function monthLabel(iso) {
        const [y, m] = iso.split("-").map(Number);
        return new Intl.DateTimeFormat(lang, { month: "short", year: "numeric" })
            .format(new Date(y, m - 1, 1));
    }

    function cssVar(name, fallback) {
        const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
        return value || fallback;
    }

    const COLORS = {
        primary: "#417690",
        light: "#79aec8",
        green: "#5b9b6b",
        amber: "#d9a441",
        red: "#c0504d",
        plum: "#a05a8a",
    };

    function baseOptions(extra) {
        const grid = cssVar("--hairline-color", "#e8e8e8");
        const text = cssVar("--body-quiet-color", "#666");
        return Object.assign({
            responsive: true,
            maintainAspectRatio: false,
            animation: false,
            interaction: { mode: "index", intersect: false },
            plugins: {
                legend: { position: "bottom", labels: { color: text, boxWidth: 12 } },
            },
            scales: {
                x: { grid: { color: grid }, ticks: { color: text, maxRotation: 0, autoSkipPadding: 12 } },
                y: { grid: { color: grid }, ticks: { color: text, precision: 0 }, beginAtZero: true },
            },
        }, extra || {});
    }

    function drawCharts() {
        const source = document.getElementById("dashboard-data");
        if (!source || typeof window.Chart === "undefined") return;
        const data = JSON.parse(source.textContent);
        const L = data.labels;
        const counts = numberFormat({ maximumFractionDigits: 0 });
        const money = numberFormat({ minimumFractionDigits: 2, maximumFractionDigits: 2 });
        const days = data.daily.days.map(dayLabel);

        const checksOptions = baseOptions();
        checksOptions.scales.x.stacked = true;
        checksOptions.scales.y.stacked = true;
        checksOptions.scales.y.title = { display: true, text: L.checks_axis };
        checksOptions.scales.revenue = {
            position: "right",
            beginAtZero: true,
            grid: { drawOnChartArea: false },
            ticks: { color: cssVar("--body-quiet-color", "#666"), callback: (v) => counts.format(v) },
            title: { display: true, text: L.revenue_members },
        };
        checksOptions.plugins.tooltip = {
            callbacks: {
                label: (ctx) => ctx.dataset.yAxisID === "revenue"
                    ? `${ctx.dataset.label}: ${money.format(ctx.parsed.y)}`
                    : `${ctx.dataset.label}: ${counts.format(ctx.parsed.y)}`,
            },
        };
        new window.Chart(document.getElementById("chart-checks"), {
            data: {
                labels: days,
                datasets: [
                    { type: "bar", label: L.checks, data: data.daily.checks, order: 1,
                      backgroundColor: COLORS.primary, stack: "checks" },
                    { type: "bar", label: L.guest_checks, data: data.daily.guest_checks, order: 1,
                      backgroundColor: COLORS.light, stack: "checks" },
                    { type: "line", label: L.revenue_members, yAxisID: "revenue", order: 0,
                      data: data.daily.revenue_members.map(Number), borderColor: COLORS.plum,
                      backgroundColor: COLORS.plum, pointRadius: 0, borderWidth: 2, cubicInterpolationMode: "monotone" },
                ],
            },
            options: checksOptions,
        });

        new window.Chart(document.getElementById("chart-points"), {
            type: "line",
            data: {
                labels: days,
                datasets: [
                    { label: L.points_issued, data: data.daily.points_issued, borderColor: COLORS.green,
                      backgroundColor: COLORS.green, pointRadius: 0, borderWidth: 2, cubicInterpolationMode: "monotone" },
                    { label: L.points_redeemed, data: data.daily.points_redeemed, borderColor: COLORS.primary,
                      backgroundColor: COLORS.primary, pointRadius: 0, borderWidth: 2, cubicInterpolationMode: "monotone" },
                    { label: L.points_expired, data: data.daily.points_expired, borderColor: COLORS.red,
                      backgroundColor: COLORS.red, pointRadius: 0, borderWidth: 2, cubicInterpolationMode: "monotone" },
                ],
            },
            options: baseOptions(),
        });

        const expiryOptions = baseOptions();
        expiryOptions.plugins.legend.display = false;
        expiryOptions.plugins.tooltip = {
            callbacks: {
                label: (ctx) => `${counts.format(ctx.parsed.y)} · ${money.format(Number(data.expiry_forecast.rub[ctx.dataIndex]))} ${L.expiring_rub}`,
            },
        };
        new window.Chart(document.getElementById("chart-expiry"), {
            type: "bar",
            data: {
                labels: data.expiry_forecast.months.map(monthLabel),
                datasets: [{ label: L.expiring_points, data: data.expiry_forecast.points,
                             backgroundColor: COLORS.amber }],
            },
            options: expiryOptions,
        });

        const tierOptions = baseOptions({ indexAxis: "y" });
        tierOptions.plugins.legend.display = false;
        tierOptions.scales.x.beginAtZero = true;
        tierOptions.scales.x.ticks.precision = 0;
        new window.Chart(document.getElementById("chart-tiers"), {
            type: "bar",
            data: {
                labels: data.tiers.labels,
                datasets: [{ label: L.members, data: data.tiers.members,
                             backgroundColor: [COLORS.light, COLORS.primary, COLORS.amber, COLORS.plum, COLORS.green] }],
            },
            options: tierOptions,
        });
    }

    function start() {
        setUpFilter();
        drawCharts();
    }
    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
