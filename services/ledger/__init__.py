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
- **Reads** answer from the facts (transactions, commissioning revisions, month actions, table
  entries) an API process keeps and reads again only when a writer says something changed
  (`adapters/finance_records.py`); every hot lookup on the write side is by `_id` (FerretDB's
  only index).
- **As at a moment** (`domain/history.py`): every commissioning snapshot is kept as a revision
  with when the ledger recorded it, and every transaction has its `posted_at`, so each report
  takes `as_at` and answers from what was recorded by then; every answer says when it was
  generated and as at when. Saved forecasts, month actions and table entries are kept the same
  way (inserts, never edits).
- **Month-end close** (`domain/closing.py`): a closed month takes no posting with an accounting
  date in it (409, naming `accounting_date`); the service period may still point back. The
  ledger's own postings (accruals, commitments) move to the first open day instead.
- **Forecast outturn** (`domain/forecast.py`): budget, actual to date on a basis, committed to
  the year end (enrolments priced day by day, future price amendments included; block contracts
  by month), growth, forecast, variance and movement since a saved forecast; the assumptions are
  parameters shown in every answer. **Exceptions** (`domain/exceptions.py`): high-cost
  placements, prices above the framework ceiling, paying for what ended, budgets that run out.
"""
