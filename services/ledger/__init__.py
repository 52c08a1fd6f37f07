"""The ledger service: the cost ledger in integer pence, double entry, append-only (port 8003).

The single source of truth for spend. Decisions, each documented where it is implemented:

- **Transactions** (`domain/model.py`) are immutable, balanced postings (debit +, credit -) plus
  the cost lines they represent on their basis; they check their rules when built. Accounts:
  `expense:<iv>`, `accrued:<provider>`, `payable:<provider>`, `commitment:<iv>`,
  `budget:<financial year>`, `bank:main`. Postings follow from the kind (`domain/entries.py`);
  only adjustments name theirs.
- **Append-only and idempotent** (`service_layer/handlers.py`): every transaction id is unique
  and doubles as the idempotency key. API writes derive it from the caller and Idempotency-Key,
  invoices from provider and invoice number, a reversal is `reversal-of:<id>` (so one only), and
  commitments and accruals are chains `<chain>:<n>` that post the difference between what
  current knowledge expects and what the chain already adds up to.
- **Accruals** (`domain/accrual.py`): per child-week and per child-day prices are prorated by
  day (weekly price / 7) exactly, rounded cumulatively per enrolment; block amounts per calendar
  month are shared over the children enrolled by enrolled days, or stay unallocated (child null)
  when none are; per-session prices accrue nothing (their cost enters when invoiced).
- **Runs**: finance runs whole months (`POST /accrual-runs`), repeatably; commissioning events
  then re-accrue the months already run, so amendments and ended enrolments correct accruals
  without anyone asking.
- **Reads** answer from the transactions collection in one pass per request; every hot lookup
  on the write side is by `_id` (FerretDB's only index).
"""
