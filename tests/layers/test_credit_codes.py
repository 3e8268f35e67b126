"""Department codes as GB/T 47678.5 asks for them: unified social credit codes (GB 32100-2015)."""

import pytest
import shapely

from grid_codes.classes import default_table
from layers.credit_codes import is_credit_code
from layers.survey_gather import read_rows
from layers.survey_import import ImportOptions
from layers.survey_validate import ValidationContext, validate

# codes of registered companies, as published in the national enterprise credit register
PUBLISHED = ["914403001922038216", "91440300708461136T", "91330100716105852F", "91110108551385082Q"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_check(code: str) -> None:
    assert is_credit_code(code)


def test_case_full_width_forms_and_spaces_around_are_read_as_typed() -> None:
    assert is_credit_code(" 91440300708461136t ") and is_credit_code("９１４４０３００１９２２０３８２１６")


@pytest.mark.parametrize("code", [
    "914403001922038217",  # a wrong check character
    "91440300708461136",  # 17 characters
    "9144030019220382160",  # 19
    "91440300I08461136T",  # I is not one of the code's letters (nor O, S, V, Z)
    "440304",  # a county's division code
    "MB2C1234-5",  # an organisation code (组织机构代码), which credit codes replaced
    "",
])
def test_other_codes_do_not_check(code: str) -> None:
    assert not is_credit_code(code)


def test_an_import_notes_department_codes_that_are_no_credit_codes_and_loads_the_rows(tmp_path) -> None:
    path = tmp_path / "form.csv"
    path.write_text("小类代码,主管部门代码,主管部门名称,养护单位代码,经度,纬度\n"
                    f"01001,{PUBLISHED[0]},局,,114.05,22.54\n"
                    "01001,440304,局,91440300708461136X,114.05,22.541\n"
                    "01001,440304,局,,114.05,22.542\n", encoding="utf-8")
    rows, _ = read_rows([path], ImportOptions(actor="tester"))
    ctx = ValidationContext(scheme="gb47678", table=default_table(), zone_epsg=4547,
                            city=shapely.box(114.0, 22.5, 114.1, 22.6), county_codes=frozenset({"440304"}))
    checked = validate(rows, ctx)
    assert checked.rejections == [] and checked.valid.all()
    told = "that is no unified social credit code (18 characters with their check character, GB 32100)"
    assert [n for n in checked.notes if "credit code" in n] == [
        f"2 row(s) with a competent_dept_code {told} (first: form.csv row 3: '440304')",
        f"1 row(s) with a maintainer_dept_code {told} (first: form.csv row 3: '91440300708461136X')"]
