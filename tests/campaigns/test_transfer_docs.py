"""docs/CAMPAIGNS.md stays true: every JSON example in it imports (dry run), every condition leaf
and every kind of campaign has an example."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from campaigns import conditions
from campaigns.models import Campaign
from campaigns.transfer import FORMAT, VERSION, import_campaigns

pytestmark = pytest.mark.django_db

DOC = Path(settings.BASE_DIR) / "docs" / "CAMPAIGNS.md"


def examples() -> list:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [json.loads(block) for block in blocks]


def campaign_examples() -> list[dict]:
    """The examples of single campaigns (the whole files are imported on their own)."""
    return [e for e in examples() if "code" in e]


def condition_examples() -> list[dict]:
    return [e for e in examples() if "format" not in e and "code" not in e]


def test_every_campaign_example_of_the_doc_imports():
    data = {"format": FORMAT, "version": VERSION, "campaigns": campaign_examples()}
    result = import_campaigns(data, dry_run=True)
    assert result.errors == {}
    assert len(result.created) == len(data["campaigns"])
    assert not Campaign.objects.exists()


def test_the_doc_shows_a_whole_file_that_imports():
    files = [e for e in examples() if "format" in e]
    assert files
    for data in files:
        assert import_campaigns(data, dry_run=True).errors == {}


def test_the_doc_has_an_example_of_every_kind():
    kinds = {example.get("kind", "promo") for example in campaign_examples()}
    assert kinds == set(Campaign.Kind.values)


def test_every_condition_example_is_valid_and_every_leaf_has_one():
    used = set()
    for tree in condition_examples():
        assert conditions.validate(tree) == [], tree
        used |= conditions.leaves_of(tree)
    for example in campaign_examples():
        used |= conditions.leaves_of(example.get("conditions", {}))
    assert used == set(conditions.LEAVES)
