"""Small numbers withheld: every report, in every service, writes a withheld figure the same way.

A count of between one child and one fewer than the suppression threshold (and any figure that
would let a reader work such a count back out) is replaced by `SUPPRESSED`, never by null (null
means "there is no such figure"), so a reader can tell the two apart."""

SUPPRESSED = "suppressed"
