"""benchmarks/run_all.py rewrites only its own table in RESULTS.md: the analysis written beside it survives reruns."""

from benchmarks.run_all import TABLE_BEGIN, TABLE_END, _sections, with_new_table

UNMARKED = """
Intro that says how to read the table.

| case | ms |
|---|---|
| old | 9 |

Machine: old CPU; 2026-01-01 UTC
measured under load

- **Target missed** because of the old engine.
"""


def test_a_rerun_replaces_the_table_and_keeps_the_commentary_around_it():
    first = with_new_table(UNMARKED, "| case | ms |\n|---|---|\n| new | 1 |\n\nMachine: new CPU")
    assert "| old | 9 |" not in first and "old CPU" not in first and "measured under load" not in first
    assert "| new | 1 |" in first and "Machine: new CPU" in first
    assert first.index("Intro that says") < first.index(TABLE_BEGIN) < first.index(TABLE_END)
    assert first.index(TABLE_END) < first.index("**Target missed**")

    second = with_new_table(first, "| case | ms |\n|---|---|\n| newer | 0.5 |")
    assert "| new | 1 |" not in second and "| newer | 0.5 |" in second
    assert second.count("Intro that says") == 1 and second.count("**Target missed**") == 1


def test_a_new_section_is_only_the_table_and_sections_round_trip():
    section = with_new_table("", "| a |\n|---|\n| 1 |")
    assert section.strip().startswith(TABLE_BEGIN) and section.strip().endswith(TABLE_END)
    text = f"# Benchmark results\n\n## Suite A\n{section}\n## Suite B\n{UNMARKED}"
    parsed = _sections(text)
    assert list(parsed) == ["Suite A", "Suite B"]
    assert "| 1 |" in parsed["Suite A"] and "**Target missed**" in parsed["Suite B"]
