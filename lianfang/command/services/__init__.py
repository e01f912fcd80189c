"""Every write of urgent matters: ``matters`` (report, acknowledge, report again, forward, resolve,
close, report outside), ``escalation`` (the scan of missed clocks), ``levels`` (the office's levels)."""
