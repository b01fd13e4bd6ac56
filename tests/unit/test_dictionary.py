"""data/README.md carries the data dictionary exactly as the contract generates it."""


from paths import REPO

from evaluation.data.contract import CONTRACT
from evaluation.data.dictionary import BEGIN, END, data_dictionary_markdown

README = REPO / "data" / "README.md"


def test_data_readme_dictionary_is_in_step_with_the_contract():
    text = README.read_text()
    block = text[text.index(BEGIN): text.index(END) + len(END)] + "\n"
    assert block == data_dictionary_markdown(), (
        "data/README.md is out of date: regenerate its dictionary with `evaluation dictionary`"
    )


def test_every_column_is_documented():
    generated = data_dictionary_markdown()
    for table in CONTRACT.values():
        for column in table.columns:
            assert f"| `{column.name}` |" in generated
