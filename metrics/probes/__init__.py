"""Active probes (METHODOLOGY §11): suites, the HTTP prober and the scores.

Pure: no Django.
"""
