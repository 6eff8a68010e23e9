"""Inference from the pump spectra: least-squares fits with calibrated priors and their posterior by MCMC.

``pumpfit`` (the pump-spectrum model's parameters, priors and least-squares fit), ``reparam`` (the
coordinates the spectrum pins, where the MCMC samples), ``sampling`` (emcee with checked
convergence, the batched log posterior), ``posterior`` (the draws as ArviZ InferenceData).

May import: ``physics``, ``data``, ``stats``, ``calibration``.
"""
