"""Is server output grammatical? imap-codec first, then RFC 9051's ABNF and our extensions."""

from imapcheck.syntax.validator import Validator, Verdict, check_greeting, check_response

__all__ = ["Validator", "Verdict", "check_greeting", "check_response"]
