"""Reading an SSDA903 folder and a rate table: what is kept, and every refusal's place."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from services.imports.adapters.finance_files import read_invoice_lines, read_mapping
from services.imports.adapters.rates import Rate, read_rates
from services.imports.adapters.ssda903_files import ReturnFolderError, read_return
from services.imports.domain.refusals import Refusal

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"  # noqa: E501
OC2 = "CHILD,DOB,SDQ_SCORE,SDQ_REASON,CONVICTED,HEALTH_CHECK,IMMUNISATIONS,TEETH_CHECK,HEALTH_ASSESSMENT,SUBSTANCE_MISUSE,INTERVENTION_RECEIVED,INTERVENTION_OFFERED\n"  # noqa: E501


def write_return(folder: Path, header: str, episodes: str, oc2: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "header.csv").write_text(HEADER + header)
    (folder / "episodes.csv").write_text(EPISODES + episodes)
    (folder / "oc2.csv").write_text(OC2 + oc2)
    (folder / "reviews.csv").write_text("CHILD,DOB,REVIEW,REVIEW_CODE\n")
    return folder


def pseudonym(identifier: str) -> str:
    return f"ref{identifier}"


def test_a_good_return_keeps_only_what_acorn_needs(tmp_path: Path) -> None:
    folder = write_return(
        tmp_path / "r",
        "101,1,01/02/2010,WBRI,A123456789012,,\n",
        "101,15/02/2017,S,C2,N1,U4,PR1,01/06/2017,X1,,AB1 2CD,EF3 4GH,1234567\n"
        "101,01/06/2017,L,C1,N1,U4,PR1,,,,AB1 2CD,EF3 4GH,1234567\n",
        "101,01/02/2010,12,,0,1,1,,0,0,0,0\n",
    )
    contents = read_return(folder, pseudonym=pseudonym)
    assert contents.refusals == []
    assert [(e.child_ref, e.start, e.ceased, e.line) for e in contents.episodes] == [
        ("ref101", date(2017, 2, 15), date(2017, 6, 1), 2),
        ("ref101", date(2017, 6, 1), None, 3),
    ]
    assert contents.age_bands == {"ref101": "5 to 9"}
    line, values = contents.oc2["ref101"]
    assert line == 2 and values["SDQ_SCORE"] == 12 and values["TEETH_CHECK"] is None
    assert contents.ignored_files == ["reviews.csv"]
    assert contents.rows == {"header.csv": 1, "episodes.csv": 2, "oc2.csv": 1}


def test_bad_cells_are_refused_by_file_line_and_column_without_their_values(
    tmp_path: Path,
) -> None:
    folder = write_return(
        tmp_path / "r",
        "101,1,01/02/2010,WBRI,A1,,\n102,1,2010-02-01,WBRI,A2,,\n103,1,01/02/2010,WBRI,A3,,\n",
        "101,15/02/2017,S,C2,N1,Q9,PR1,14/02/2017,E2,,,,\n"
        "102,15/02/2017,S,C2,N1,U4,PR1,,,,,,\n"
        "999,15/02/2017,S,C2,N1,U4,PR1,,,,,,\n"
        "103,31/02/2017,S,C2,N1,U4,PR9,,,,,,\n",
        "103,01/02/2010,41,,2,,,,,,,\n",
    )
    contents = read_return(folder, pseudonym=pseudonym)
    assert contents.refusals == [
        Refusal("episodes.csv", 2, "DEC", "is before DECOM"),
        Refusal("episodes.csv", 2, "PLACE", "is not a code of the SSDA903 guide"),
        Refusal("episodes.csv", 3, "CHILD", "has a refused row in header.csv (line 3)"),
        Refusal("episodes.csv", 4, "CHILD", "has no row in header.csv"),
        Refusal("episodes.csv", 5, "DECOM", "is not a date in the form dd/mm/yyyy"),
        Refusal("episodes.csv", 5, "PLACE_PROVIDER", "is not a code of the SSDA903 guide"),
        Refusal("header.csv", 3, "DOB", "is not a date in the form dd/mm/yyyy"),
        Refusal("oc2.csv", 2, "CONVICTED", "is not a code of the SSDA903 guide"),
        Refusal("oc2.csv", 2, "SDQ_SCORE", "is not a whole number from 0 to 40"),
    ]
    assert contents.episodes == [] and contents.oc2 == {}
    assert not any("2010" in r.reason or "999" in r.reason for r in contents.refusals)


def test_a_child_with_an_overlapping_episode_is_left_out_whole(tmp_path: Path) -> None:
    folder = write_return(
        tmp_path / "r",
        "101,1,01/02/2010,WBRI,A1,,\n102,1,01/02/2010,WBRI,A2,,\n",
        "101,15/02/2017,S,C2,N1,U4,PR1,01/06/2017,E2,,,,\n"
        "101,01/05/2017,S,C2,N1,K2,PR4,,,,,,\n"
        "102,15/02/2017,S,C2,N1,U4,PR1,,,,,,\n",
        "101,01/02/2010,12,,0,1,1,,0,0,0,0\n",
    )
    contents = read_return(folder, pseudonym=pseudonym)
    assert contents.refusals == [
        Refusal("episodes.csv", 2, "", "left out with the child's refused episode on line 3"),
        Refusal("episodes.csv", 3, "DECOM", "starts before the child's episode on line 2 ended"),
        Refusal("oc2.csv", 2, "", "left out with the child's refused episode on line 3"),
    ]
    assert [e.child_ref for e in contents.episodes] == ["ref102"]


def test_a_folder_without_a_file_or_a_column_is_not_a_return(tmp_path: Path) -> None:
    with pytest.raises(ReturnFolderError, match=r"header\.csv"):
        read_return(tmp_path, pseudonym=pseudonym)
    folder = write_return(tmp_path / "r", "", "", "")
    (folder / "episodes.csv").write_text("CHILD,DECOM\n")
    with pytest.raises(ReturnFolderError, match="PLACE"):
        read_return(folder, pseudonym=pseudonym)


def test_a_rate_table_prices_a_placement_from_a_provider_or_from_any(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(
        "PLACE,PLACE_PROVIDER,pricing_model,unit_price\n"
        "U4,PR1,per_child_week,450.00\n"
        "U4,,per_child_week,850\n"
        "K2,PR4,per_month,750.00\n"
        "K2,PR4,per_child_day,7.505\n"
        "U4,PR1,per_child_day,1.00\n"
    )
    table = read_rates(path)
    assert table.rate_for("U4", "PR1") == Rate("per_child_week", 45_000)
    assert table.rate_for("U4", "PR4") == Rate("per_child_week", 85_000)
    assert table.rate_for("K2", "PR4") is None
    assert [(r.line, r.column) for r in table.refusals] == [
        (4, "pricing_model"),
        (5, "unit_price"),
        (6, "PLACE"),
    ]


def test_a_finance_export_keeps_good_lines_and_pseudonymises_the_child(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "supplier_ref,invoice_number,line,amount,period_start,period_end,cost_centre,child_ref\n"
        "S1,I1,1,10.50,01/04/2024,2024-04-30,CC1,566910\n"
        "S1,I1,2,-3.00,01/04/2024,30/04/2024,CC1,\n"
        "S1,I1,1,10.50,01/04/2024,30/04/2024,CC1,\n"
        ",I2,1,1.005,31/04/2024,01/04/2024,CC1,\n"
    )
    lines, refusals = read_invoice_lines(path, pseudonym=pseudonym)
    assert [(x.line, x.amount_pence, x.child_ref, x.end) for x in lines] == [
        (2, 1050, "ref566910", date(2024, 4, 30)),
        (3, -300, None, date(2024, 4, 30)),
    ]
    assert [(r.line, r.column) for r in refusals] == [
        (4, "line"),
        (5, "supplier_ref"),
        (5, "amount"),
        (5, "period_start"),
    ]


def test_a_mapping_names_providers_and_interventions_or_categories(tmp_path: Path) -> None:
    path = tmp_path / "mapping.csv"
    path.write_text(
        "kind,code,acorn\n"
        "supplier,S1,prov-1\n"
        "cost_centre,CC1,int-1\n"
        "cost_centre,CC2,category:residential_care\n"
        "budget,B1,x\n"
        "supplier,S1,prov-2\n"
    )
    mapping = read_mapping(path)
    assert mapping.providers == {"S1": "prov-1"}
    assert mapping.cost_centres == {"CC1": "int-1", "CC2": "category:residential_care"}
    assert [(r.line, r.column) for r in mapping.refusals] == [(5, "kind"), (6, "code")]
