"""The console's formats (tco_console.formats): the same in both languages (issue 17)."""

from tco_console.formats import CONSOLE_FORMATS

globals().update(CONSOLE_FORMATS)
