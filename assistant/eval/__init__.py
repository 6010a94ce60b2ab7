"""Evaluation: question sets with gold citations, scoring, a LangChain baseline and reports.

One job a module: `questions` loads and validates question files, `matching` links gold
references and citations to the section tree, `metrics` judges answers and aggregates,
`runner` asks the questions, `baseline` is the default LangChain recipe, `report` writes
files a person can read, `commands` is the `assistant eval` sub-command.
"""
