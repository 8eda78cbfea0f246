"""The questionnaire of the synthetic survey: 21 seven-point items in five constructs.

The wordings below were written for this compendium. They are plausible operationalisations of
the constructs in Cai (2009) but they are NOT the items of the original questionnaire, which we
do not reproduce. Two response formats are used:

* ``agreement`` (CO, CRP, CS): 1 = strongly disagree ... 7 = strongly agree.
* ``comparison`` (PP, FP): rated relative to the firm's main competitors over the last three
  years, 1 = much worse ... 7 = much better.

One CO item (``co4``) and one CRP item (``crp5``) are reverse-worded: agreeing with them means
*less* of the construct. The raw file stores the answer as given (so 7 = "strongly agree" with
the negative statement); analysis code must reverse them (8 - x) before scoring. ``crp4`` is
the item that, by design, also loads on customer satisfaction (see ``population_model``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGREEMENT_LABELS",
    "COMPARISON_LABELS",
    "CONSTRUCTS",
    "CONSTRUCT_LABELS",
    "ITEMS",
    "Item",
    "item_names",
]

#: Constructs in causal order (exogenous first).
CONSTRUCTS: tuple[str, ...] = ("CO", "CRP", "PP", "CS", "FP")

CONSTRUCT_LABELS: dict[str, str] = {
    "CO": "customer orientation",
    "CRP": "customer relationship practices",
    "PP": "production performance",
    "CS": "customer satisfaction",
    "FP": "financial performance",
}

AGREEMENT_LABELS: tuple[str, ...] = (
    "strongly disagree",
    "disagree",
    "somewhat disagree",
    "neither agree nor disagree",
    "somewhat agree",
    "agree",
    "strongly agree",
)

COMPARISON_LABELS: tuple[str, ...] = (
    "much worse",
    "worse",
    "somewhat worse",
    "about the same",
    "somewhat better",
    "better",
    "much better",
)

_COMPARISON_STEM = (
    "Compared with our main competitors, over the last three years our performance on the "
    "following has been: "
)


@dataclass(frozen=True)
class Item:
    """One questionnaire item.

    ``scale`` is ``"agreement"`` or ``"comparison"``; ``reverse_keyed`` marks negatively worded
    items whose raw answers must be reversed (8 - x) before scoring.
    """

    name: str
    construct: str
    wording: str
    scale: str
    reverse_keyed: bool = False

    @property
    def labels(self) -> tuple[str, ...]:
        """Verbal anchors of the seven response categories."""
        return AGREEMENT_LABELS if self.scale == "agreement" else COMPARISON_LABELS


ITEMS: tuple[Item, ...] = (
    # customer orientation
    Item(
        "co1", "CO", "Our business objectives are driven primarily by customer needs.", "agreement"
    ),
    Item(
        "co2",
        "CO",
        "We constantly monitor how well we are committed to serving customers.",
        "agreement",
    ),
    Item(
        "co3",
        "CO",
        "Our competitive strategy is built on understanding what customers value.",
        "agreement",
    ),
    Item(
        "co4",
        "CO",
        "In our firm, customer requirements are considered only after production and cost "
        "targets have been fixed.",
        "agreement",
        reverse_keyed=True,
    ),
    Item(
        "co5",
        "CO",
        "Information about customers is shared freely across all departments of our firm.",
        "agreement",
    ),
    # customer relationship practices
    Item(
        "crp1",
        "CRP",
        "We regularly measure our customers' satisfaction with our products and services.",
        "agreement",
    ),
    Item(
        "crp2",
        "CRP",
        "We follow up with customers after delivery to obtain feedback on quality and service.",
        "agreement",
    ),
    Item(
        "crp3",
        "CRP",
        "Customer complaints are recorded, analysed and used to improve our processes.",
        "agreement",
    ),
    Item(
        "crp4",
        "CRP",
        "We make it easy for customers to reach us and we resolve their problems quickly.",
        "agreement",
    ),
    Item(
        "crp5",
        "CRP",
        "Apart from processing orders, we have little regular contact with our key customers.",
        "agreement",
        reverse_keyed=True,
    ),
    # production performance (comparison with main competitors, last three years)
    Item("pp1", "PP", _COMPARISON_STEM + "conformance quality of our products.", "comparison"),
    Item("pp2", "PP", _COMPARISON_STEM + "manufacturing lead time.", "comparison"),
    Item("pp3", "PP", _COMPARISON_STEM + "on-time delivery to customers.", "comparison"),
    Item("pp4", "PP", _COMPARISON_STEM + "unit cost of production.", "comparison"),
    # customer satisfaction
    Item("cs1", "CS", "Our customers are satisfied with the quality of our products.", "agreement"),
    Item(
        "cs2",
        "CS",
        "Our customers are satisfied with our delivery and after-sales service.",
        "agreement",
    ),
    Item(
        "cs3",
        "CS",
        "Our key customers keep buying from us and recommend us to others.",
        "agreement",
    ),
    # financial performance (comparison with main competitors, last three years)
    Item("fp1", "FP", _COMPARISON_STEM + "return on sales (profit margin).", "comparison"),
    Item("fp2", "FP", _COMPARISON_STEM + "growth in sales revenue.", "comparison"),
    Item("fp3", "FP", _COMPARISON_STEM + "return on investment.", "comparison"),
    Item("fp4", "FP", _COMPARISON_STEM + "growth in market share.", "comparison"),
)


def item_names(construct: str | None = None) -> list[str]:
    """Item column names in questionnaire order, optionally only those of one construct."""
    return [it.name for it in ITEMS if construct is None or it.construct == construct]
