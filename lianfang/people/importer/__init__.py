"""Roster import (花名册导入): an .xlsx or .csv file with Chinese headers, upserted by employee number.

All or nothing: the whole file is read and checked first, every problem is collected with its row,
column and what to fix, and only a clean file is written, in one transaction. The file format (the
headers and the Chinese labels of every choice) is defined once, in :mod:`.format`; the template and
the export (:mod:`lianfang.people.exports`) use the same definitions, so an exported file imports
back.

Column semantics, for the people who fill the file in:

* a column that is not in the file is left as it is on people who already exist (and takes its
  default on new people), so a file with only 工号, 姓名, 单位编码 and 去向类别 updates whereabouts;
* an empty cell in a column that is in the file clears the value (or sets the choice's default);
* an ID number or phone that is masked with ``*`` (as exported to people who may not see them)
  keeps the value on record, provided it matches it.

Scope: unit codes outside the importer's ``import`` scope read as unknown, exactly like codes that
do not exist, and a person who exists in a unit outside that scope cannot be changed by the file.
After the write, every written row is re-checked against the scope inside the transaction.

The package, in the order an import goes through it:

* :mod:`.format`: the columns, header recognition, the Chinese labels of choices;
* :mod:`.cells`: reading one cell (ID numbers, phones, unit codes, choices, tags, dates);
* :mod:`.rows`: reading the file and checking every row on its own (:class:`~.rows.RosterReader`);
* :mod:`.run`: submitting the job, and the write phase (:class:`~.run.RosterImporter`).

Callers import from the package itself; the names below are its interface.
"""

from lianfang.people.importer.format import (
    CATEGORY_LABELS,
    CHOICE_DEFAULTS,
    CHOICE_LABELS,
    COLUMNS,
    EMPLOYMENT_STATUS_LABELS,
    GENDER_LABELS,
    HEADERS,
    IGNORED_HEADERS,
    WHEREABOUTS_LABELS,
    Column,
    allowed_values_text,
    choice_label,
    choice_lookup,
)
from lianfang.people.importer.rows import KEEP, MAX_ERRORS, PERSON_LABEL, PROGRESS_EVERY, RosterReader, Row
from lianfang.people.importer.run import (
    ROSTER_IMPORT,
    WRITE_BATCH,
    RosterImporter,
    example_unit_code,
    roster_import_run,
    roster_import_submit,
)

__all__ = [
    "CATEGORY_LABELS",
    "CHOICE_DEFAULTS",
    "CHOICE_LABELS",
    "COLUMNS",
    "EMPLOYMENT_STATUS_LABELS",
    "GENDER_LABELS",
    "HEADERS",
    "IGNORED_HEADERS",
    "KEEP",
    "MAX_ERRORS",
    "PERSON_LABEL",
    "PROGRESS_EVERY",
    "ROSTER_IMPORT",
    "WHEREABOUTS_LABELS",
    "WRITE_BATCH",
    "Column",
    "RosterImporter",
    "RosterReader",
    "Row",
    "allowed_values_text",
    "choice_label",
    "choice_lookup",
    "example_unit_code",
    "roster_import_run",
    "roster_import_submit",
]
