"""Importers at the edge: a council's own data (SSDA903 returns, finance exports) into Acorn.

A client of the services, never a service: it reads files in the field's own vocabulary, turns
them into what Acorn records (DfE codes stay here; Acorn gets descriptive names), and writes only
through the services' public APIs, so every rule, event and audit record applies as it would to
a person's request. It holds no database of its own: what Acorn already holds is read back
through the APIs, so importing the same file twice changes nothing and next year's file records
only what is new or changed.

    domain/     pure rules: pseudonyms, age bands, DfE code lists, episodes into enrolments,
                OC2 outcomes into readings, the plan of what to write (no I/O)
    adapters/   readers of CSV files (903 return, rate table, finance export, mapping) and the
                HTTP client of Acorn's APIs
    ssda903.py, finance.py   the use cases: read, plan, apply, report
    cli.py      `./dev import 903 FOLDER`, `./dev import finance CSV --mapping FILE`
"""
