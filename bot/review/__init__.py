"""The member's self-review questionnaire: which questions, in which order, and what counts as a
complete answer. Pure: built from the catalogue of the period's rulebook and the member's kind."""
