"""What the spreadsheet import says about a file it refuses and about the cells it rejects or flags."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.i18n import N_, tr

if TYPE_CHECKING:
    from sales.imports import BadFile, Issue

FILE_MESSAGES: dict[str, str] = {
    "too_large": N_("That file is too large ({size} MB; the limit is {limit} MB). Split it and import the parts."),
    "too_large_unpacked": N_("That file unpacks to more than {limit} MB. Split it and import the parts."),
    "too_many_rows": N_("That sheet has more than {limit} rows. Split it and import the parts."),
    "too_many_columns": N_("That sheet has more than {limit} columns. Keep the columns to import and send it again."),
    "cell_too_long": N_("A cell of that file holds more than {limit} characters. Shorten it and send it again."),
    "not_spreadsheet": N_("“{name}” is not a spreadsheet. Send an .xlsx, .xls, .ods or .csv file."),
    "encrypted": N_("“{name}” is password-protected. Remove the password in Excel (File → Info → Protect Workbook) and send it again."),
    "corrupt": N_("“{name}” can't be opened; it may be damaged. Open it in Excel, save it as .xlsx and try again."),
    "empty": N_("“{name}” has no data in it."),
    "no_sheet": N_("There is no sheet “{sheet}”. Sheets: {sheets}"),
    "no_name_column": N_("No company-name column found (e.g. 客户名称, 公司名称, Company). Columns seen: {headers}. Rename it, or map it: COLUMN=name"),
    "bad_mapping": N_("I can't read “{value}”. Write COLUMN=FIELD; fields: {fields}"),
    "unknown_kind": N_("The import kind must be one of {kinds}."),
}
REASONS: dict[str, str] = {
    "no_name": N_("no company name"),
    "name_too_long": N_("the name is too long"),
    "bad_grade": N_("{column} “{value}” is not A, B or C"),
    "bad_date": N_("{column} “{value}” is not a valid date"),
    "bad_amount": N_("{column} “{value}” is not an amount"),
    "bad_number": N_("{column} “{value}” is not a number"),
    "amount_too_large": N_("{column} “{value}” is too large"),
    "negative": N_("{column} “{value}” cannot be negative"),
    "bad_stage": N_("{column} “{value}” is not a pipeline stage"),
    "bad_probability": N_("{column} “{value}” is not between 0 and 100"),
    "no_date": N_("no date for the activity"),
    "no_title": N_("no deal title"),
    "text_too_long": N_("{column} is too long (at most 4000 characters)"),
    "bad_phone": N_("{column} “{value}” is not a valid phone; kept as typed"),
    "email_in_phone": N_("{column} holds an email “{value}”; kept as typed"),
    "bad_email": N_("{column} “{value}” is not a valid email; kept as typed"),
    "unknown_owner": N_("owner “{value}” is not a user; the importer owns it"),
    "ambiguous_owner": N_("owner “{value}” matches several users; the importer owns it"),
    "formula": N_("{column} is a formula “{value}”; stored as text"),
    "unknown_kind": N_("{column} “{value}” is not a known kind; logged as a note"),
    "stage_rules": N_("{column} “{value}”: the deal stays at its stage until it has the qualification answers and "
                      "a quote; move it in chat"),
}

CANNOT = N_("Can't import that ({code}).")


def file_message(err: BadFile, lang: str) -> str:
    """A refused file's message in the reader's language."""
    return tr(lang, FILE_MESSAGES.get(err.code, CANNOT), code=err.code, **err.params)


def reason_text(issue: Issue, lang: str) -> str:
    """Why a row was rejected or a cell flagged, in the reader's language."""
    return tr(lang, REASONS.get(issue.code, issue.code), column=issue.column, value=issue.value)
