"""Finance across member accounts (docs/finance.md, F-rules): what the admin reaches of its
members' money through the financial permissions of O9, and the pages built on it."""
