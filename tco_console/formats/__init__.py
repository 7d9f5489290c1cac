"""Issue 17: the console's date and number formats (settings.FORMAT_MODULE_PATH).

Tencent Cloud's consoles show the same ISO-like dates and times (2026-12-04 15:04:05) and
comma-grouped numbers (1,234.50) in English and in Chinese, so both languages share them:
a bill month is "2026-12" whether the page says "Bill month" or "账单月份". Anything Django
localizes by default (a date without an explicit format, intcomma) follows these; the pages'
explicit formats ("Y-m-d H:i") are the same. Money adds its currency word (docs/glossary-zh.md).
"""

CONSOLE_FORMATS = {
    "DATE_FORMAT": "Y-m-d",
    "TIME_FORMAT": "H:i",
    "DATETIME_FORMAT": "Y-m-d H:i",
    "YEAR_MONTH_FORMAT": "Y-m",
    "MONTH_DAY_FORMAT": "m-d",
    "SHORT_DATE_FORMAT": "Y-m-d",
    "SHORT_DATETIME_FORMAT": "Y-m-d H:i",
    "DECIMAL_SEPARATOR": ".",
    "THOUSAND_SEPARATOR": ",",
    "NUMBER_GROUPING": 3,
}
