"""Results: the entanglement verdict and headline table, and the error budget.

``verdict`` (Duan from probe and MCMC draws at one angle, P(Duan < 1), the headline table and its
comparison with the paper), ``budget`` (each source's share of the headline quantities' variance).

May import: every analysis layer below it (``physics`` ... ``readout``).
"""
