"""ctxbench: how an agent's context policy changes how well and how cheaply it does analysis work.

Data flow: config -> runner -> episode -> context policy -> LLM -> sandbox -> grader -> traces.
Importing this package has no side effects.
"""
