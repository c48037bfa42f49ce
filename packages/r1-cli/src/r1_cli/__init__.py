"""r1 application commands: eval, data, report, reward, cp and sandbox commands."""

__version__ = "0.1.0"
