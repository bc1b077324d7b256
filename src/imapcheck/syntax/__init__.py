"""Is server output grammatical? (imap-codec, then RFC 9051's ABNF extended for IMAP4rev1.)"""

from imapcheck.syntax.validator import Verdict, check_greeting, check_response

__all__ = ["Verdict", "check_greeting", "check_response"]
