"""Trainers' workspace: handouts, Q&A collections, quizzes and what staff ask.

Everything here reads the sections the index stored (or the corpus when no current index
exists); nothing needs the embedding model.
"""
