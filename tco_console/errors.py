class DomainError(Exception):
    """A business rule refused an action. Nothing was changed.

    `message` is shown to the user as is; `code` is TCO's error code for the same refusal
    (shared/reference/tco-api.md §2.6); `field` names the form field it belongs to, if any;
    `link` a page that explains the refusal.
    """

    def __init__(
        self,
        message,
        *,
        code: str = "FailedOperation",
        field: str | None = None,
        link: tuple[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
        self.link = link  # (label, url) of a page that explains the refusal, shown beside it

    def __str__(self):
        return str(self.message)
