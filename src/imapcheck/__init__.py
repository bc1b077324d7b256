"""imapcheck: IMAP conformance, fuzzing and load testing."""

__version__ = "0.1.0"
