"""Codebook entries (Table Schema fields) for the columns of the synthetic raw file."""

from __future__ import annotations

from ..codebook import FieldSpec
from .fieldwork import ROLES
from .frame import INDUSTRIES, OWNERSHIP_TYPES, PROVINCES, REGIONS
from .instrument import CONSTRUCT_LABELS, ITEMS

__all__ = ["ITEM_MISSING_VALUES", "raw_fields"]

#: Blank cells and the declared code -99 both mean "no answer" for the items.
ITEM_MISSING_VALUES: tuple[str, ...] = ("", "-99")

_PII_NOTE = (
    " FAKE placeholder generated for the synthetic data (reserved example.com / 555 "
    "values); personally identifying - drop before any analysis output."
)


def raw_fields() -> list[FieldSpec]:
    """Field specs of every raw column, in file order (firm variables, then the 21 items)."""
    fields = [
        FieldSpec(
            "resp_id",
            "integer",
            "Submission identifier assigned by the survey platform in order of submission; "
            "unique per row (primary key).",
            minimum=1,
        ),
        FieldSpec(
            "firm_id",
            "string",
            "Identifier of the firm in the sampling frame (F + 6 digits). A firm that "
            "submitted the questionnaire twice appears in two rows.",
        ),
        FieldSpec("submitted_on", "date", "Date the questionnaire was submitted (YYYY-MM-DD)."),
        FieldSpec(
            "wave",
            "string",
            "Response wave: 'early' = submitted before the reminder, 'late' = after it.",
            enum=("early", "late"),
        ),
        FieldSpec(
            "respondent_role",
            "string",
            "Position of the manager who answered for the firm.",
            enum=ROLES,
        ),
        FieldSpec("resp_name", "string", "Respondent name." + _PII_NOTE, pii=True),
        FieldSpec(
            "resp_email",
            "string",
            "Respondent e-mail address." + _PII_NOTE,
            pii=True,
            extra={"format": "email"},
        ),
        FieldSpec("resp_phone", "string", "Respondent phone number." + _PII_NOTE, pii=True),
        FieldSpec(
            "province",
            "string",
            "Province / provincial-level region of the firm; the sampling stratum.",
            enum=tuple(p for p, _, _ in PROVINCES),
        ),
        FieldSpec(
            "region",
            "string",
            "Economic region of the province (East / Central / West, national classification).",
            enum=REGIONS,
        ),
        FieldSpec("industry", "string", "Manufacturing sector of the firm.", enum=INDUSTRIES),
        FieldSpec("ownership", "string", "Ownership type of the firm.", enum=OWNERSHIP_TYPES),
        FieldSpec("employees", "integer", "Number of employees (frame information).", minimum=1),
        FieldSpec(
            "revenue_mrmb",
            "number",
            "Annual sales revenue in million RMB (frame information; all frame firms have "
            "more than 5). The size measure of the PPS sample.",
            minimum=5,
            extra={"unit": "million RMB"},
        ),
        FieldSpec(
            "incl_prob",
            "number",
            "Inclusion probability of the firm: n_h * revenue / stratum revenue total, "
            "capped at 1 for certainty units (stratum h = province).",
            minimum=0,
            maximum=1,
        ),
        FieldSpec(
            "design_weight",
            "number",
            "Design (Horvitz-Thompson) weight = 1 / incl_prob.",
            minimum=1,
        ),
    ]
    for it in ITEMS:
        scale = (
            "1 = strongly disagree ... 7 = strongly agree"
            if it.scale == "agreement"
            else "1 = much worse ... 7 = much better than main competitors, last three years"
        )
        desc = f"{CONSTRUCT_LABELS[it.construct].capitalize()} item ({scale})."
        if it.reverse_keyed:
            desc += " Reverse-worded: stored as answered; score as 8 - x."
        fields.append(
            FieldSpec(
                it.name,
                "integer",
                desc,
                construct=it.construct,
                wording=it.wording,
                minimum=1,
                maximum=7,
                missing_values=ITEM_MISSING_VALUES,
                reverse_keyed=it.reverse_keyed,
                extra={
                    "scale": it.scale,
                    "categories": [
                        {"value": v, "label": lab} for v, lab in enumerate(it.labels, start=1)
                    ],
                },
            )
        )
    return fields
