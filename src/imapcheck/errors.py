"""Errors imapcheck raises. Every message is one readable line and never carries a secret."""


class ImapcheckError(Exception):
    """Base of every error imapcheck raises on purpose."""


class TargetError(ImapcheckError):
    """The target description is wrong (bad --server, missing credentials, ...)."""


class ConnectError(ImapcheckError):
    """The server could not be reached (refused, unresolvable, TLS failure, ...)."""


class ImapTimeout(ImapcheckError):
    """The server did not answer within the timeout."""


class ConnectionClosed(ImapcheckError):
    """The server closed the connection."""


class ProtocolError(ImapcheckError):
    """The server sent something that cannot be framed as IMAP (garbage, wrong tags, ...)."""


class LimitExceeded(ProtocolError):
    """A line or literal exceeded the configured bound."""


class LoginFailed(ImapcheckError):
    """The server refused the credentials."""


class ServerUnavailable(ImapcheckError):
    """An embedded server could not be started."""
