"""Mail backends of our own: a console mailer that people can read."""

from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend

RULE = "-" * 79


class ReadableConsoleBackend(DjangoConsoleBackend):
    """Print each mail as a person reads it: the main headers and the plain text, decoded.

    Django's console backend prints the raw MIME message, whose quoted-printable encoding breaks
    long lines with "=": a verification link copied from the `make run` console would not work.
    """

    def write_message(self, message) -> None:
        message.message()  # build the MIME message anyway: it refuses malformed headers
        lines = [
            f"Subject: {message.subject}",
            f"From: {message.from_email}",
            f"To: {', '.join(message.to)}",
        ]
        if message.cc:
            lines.append(f"Cc: {', '.join(message.cc)}")
        if message.reply_to:
            lines.append(f"Reply-To: {', '.join(message.reply_to)}")
        alternatives = [mimetype for _, mimetype in getattr(message, "alternatives", [])]
        if alternatives:
            lines.append(f"Alternatives: {', '.join(alternatives)} (not shown)")
        self.stream.write("\n".join(lines) + "\n\n" + message.body.rstrip() + "\n" + RULE + "\n")
