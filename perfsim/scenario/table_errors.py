"""The messages of the errors in a table file and in ratings (``perfsim score``, ``perfsim
empirical``): templates of :data:`perfsim.scenario.errors.ERRORS`, which holds them with the
scenario's, so that a terminal says each again in its language."""

from __future__ import annotations

from ..phrases import N_

TABLE_ERRORS: dict[str, str] = {
    "table_folder": N_(
        "{source}: is a folder, not a table; give a CSV (.csv, .csv.gz) or Excel (.xlsx) file"
    ),
    "table_unreadable": N_("{source}: cannot read the file: {why}"),
    "full_width_commas": N_(
        "the cells of this line are separated by full-width commas (，), which a CSV file does "
        "not read: type them as commas (,) ({count} such line(s), the first here)"
    ),
    "long_row": N_(
        "{source}: line {line}: {cells} cells but the header has {names} names, so the cells "
        "would shift; a row with more cells than the header often holds an unquoted comma, as in "
        '1,234.5: quote such cells ("1,234.5") or drop the thousands separator'
    ),
    "long_row_any": N_(
        "{source}: a row has more cells than the header; a row with more cells than the header "
        'often holds an unquoted comma, as in 1,234.5: quote such cells ("1,234.5") or drop the '
        "thousands separator"
    ),
    "title_line": N_(
        "{source}: the first line holds one name ({title}) where the column names should be, and "
        "line {line} has {cells} cells: it looks like a title above the table; delete the lines "
        "above the column names"
    ),
    "stray_cr": N_(
        "{source}: line {line} holds a carriage return (CR) in the middle of the line, which would "
        "split it in two (a column added to a file with Windows line ends?); save the table again "
        "from the spreadsheet, or remove the CR"
    ),
    "full_width_header": N_(
        "{source}: the column names of the first line are separated by full-width commas (，), "
        "which a CSV file does not read: type them as commas (,)"
    ),
    "excel_suffix": N_(
        "{source}: this is an Excel workbook ({kind}) with a {suffix} file extension; rename it "
        "to {renamed}, or save it from Excel as CSV"
    ),
    "gz_not_gzip": N_(
        "{source}: named .gz but not gzip-compressed (damaged, or renamed); give the .csv itself"
    ),
    "zip_archive": N_(
        "{source}: a zip archive, not a table; unpack it and give the CSV or Excel file"
    ),
    "not_excel_text": N_(
        "{source}: named {suffix} but not an Excel workbook (it holds text: a CSV file?); if it "
        "is a CSV file, rename it to {renamed}, otherwise save it again from Excel"
    ),
    "not_excel": N_(
        "{source}: named {suffix} but not an Excel workbook (it holds {looks} data); save it "
        "again from Excel"
    ),
    "excel_damaged": N_(
        "{source}: cannot read the Excel workbook (damaged, or not really Excel: {why}); open it "
        "in Excel and save it again, or save it as CSV"
    ),
    "percent_mixed": N_(
        "{source}: column '{column}': some numbers are formatted as percents in Excel and some "
        "are not; format the column one way (e.g. all as plain points, 88.5)"
    ),
    "gzip_damaged": N_(
        "{source}: damaged gzip file ({why}); download or compress it again, or give the .csv"
    ),
    "nul_as": N_(
        "{source}: holds NUL bytes, so it is not a text table as {encoding} (a binary file, or "
        "UTF-16 without a byte-order mark?); save it as 'CSV UTF-8' or name the encoding with "
        "--encoding"
    ),
    "nul_auto": N_(
        "{source}: holds NUL bytes, so it is not UTF-8 or GB18030 text (UTF-16 without a "
        "byte-order mark? then give --encoding utf-16-le; or a binary file); save the table as "
        "'CSV UTF-8'"
    ),
    "unknown_encoding": N_(
        "--encoding {encoding}: unknown encoding; use auto (UTF-8, then GB18030), utf-8, gb18030,"
        " gbk, big5 or another Python codec name"
    ),
    "cannot_decode_auto": N_(
        "{source}: cannot decode the text as UTF-8 or GB18030 (byte 0x{byte} on line {line}); "
        "save the table as 'CSV UTF-8', or name its encoding with --encoding (e.g. --encoding "
        "big5)"
    ),
    "cannot_decode": N_(
        "{source}: cannot decode the text as {encoding} (byte 0x{byte} on line {line}); save the "
        "table as 'CSV UTF-8', or name its encoding with --encoding (or --encoding auto)"
    ),
    "table_empty": N_("{source}: the file is empty; a table needs a header line and rows"),
    "column_repeated": N_(
        "{source}: column '{column}' appears {count} times in the header (names are compared "
        "without surrounding spaces); rename or delete the extra copies"
    ),
    "no_rows": N_("{source}: the table has no rows"),
    "score_max": N_("--score-max {value}: must be a finite number > 0 (what a score is out of)"),
    "rated_twice": N_(
        "{source}: {row}: rater {rater} rates unit {unit} on item {item} twice; one rating per "
        "rater, unit and item"
    ),
    "all_blank": N_("{source}: every rating is blank (neither 'score' nor 'answer' given)"),
    "all_blank_column": N_(
        "{source}: every rating is blank (neither 'score' nor 'answer' given); {missing}"
    ),
    "scale_two": N_("{source}: a scale needs at least two answers, got {got}"),
    "scale_points": N_(
        "{source}: the points of {answer} are {points}; points must be finite numbers in 0-100"
    ),
    "scale_same": N_("{source}: two answers have the same points: {got}"),
    "scale_range": N_("{source}: points must lie in 0-100, got {got}"),
    "scale_repeated": N_("--scale: the answer {answer} is given twice"),
    "scale_syntax": N_(
        "--scale: {part} is not LABEL=POINTS; write e.g. '不满意=0,基本满意=60,比较满意=80,满意=100'"
    ),
    "quota_count_sum": N_(
        "{source}: rule.grading.quota_count = {counts}: the counts add up to {total}, more than "
        "the {units} units of the table"
    ),
    "quota_count_over": N_(
        "{source}: rule.grading.quota_count.{band} = {count}: more than the {units} units of the "
        "table; allowed: a whole number 0–{most}"
    ),
    "no_finite_score": N_(
        "{source}: {row}: department {unit} gets no finite score from these numbers (an extreme "
        "value or a target near 0?); check the row's numbers"
    ),
    "class_column": N_(
        "{source}: column '{column}' is missing; the rule ranks, normalises or weights by class "
        "({classes}); name the column with --class-column"
    ),
    "reps_min": N_("--reps {value}: must be ≥ 2 (bootstrap replicates; default 1000)"),
    "level_range": N_("--level {value}: must lie strictly between 0 and 1"),
    "seed_min": N_("--seed {value}: must be ≥ 0"),
    "variant_rule": N_("--variant changes the --rule: give --rule too"),
    "wide_needs_rule": N_(
        "{source}: a wide table (one row per unit, no rater columns) needs --rule; for "
        "reliability, rater effects and rank intervals give the long ratings table"
    ),
    "rule_reads_none": N_(
        "{source}: rule {rule} reads none of the rated components ({components})"
    ),
    "no_column_component": N_(
        "{source}: no component of the ratings ({components}) is a column component of the rule; "
        "the rule reads: {reads}; name the ratings' component column after one of them"
    ),
    "strata_unit": N_(
        "--strata group×unit: needs every rater to rate one unit, but in {source} some raters "
        "rate several; use --strata group (or auto)"
    ),
    "needs_indicators": N_(
        "{source}: the rule needs indicator columns ({indicators}) that ratings do not give; pass"
        " the units table with them (--units UNITS.csv)"
    ),
    "cell_finite": N_("{cell} is not a finite number; give a number, e.g. 88.5"),
    "cell_comma": N_("{cell} is not a number; write decimals with a point, e.g. {fixed}"),
    "cell_large": N_("{cell} is too large to be a number in a table (at most {most})"),
    "cell_number": N_(
        "{cell} is not a number; write a plain number such as 88.5 (a thousands separator, "
        "1,234.5, and a percent sign, 88.5% = 88.5 points, are accepted)"
    ),
}
