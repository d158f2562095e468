"""Packaging beyond pyproject.toml: the top-level ``scenarios/`` folder ships inside the package.

setuptools maps the package ``perfsim.bundled`` onto ``scenarios/`` (``package_dir``), so a wheel
installs the bundled scenarios, their data and READMEs as ``perfsim/bundled/`` and
``perfsim.scenario.bundled`` finds them with :mod:`importlib.resources`; a source checkout (an
editable install, or ``PYTHONPATH``) reads ``scenarios/`` where it is. The reports' ``.po``
catalogues (``perfsim/i18n/locale``) ship as package data too. Everything else is in
``pyproject.toml``.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["perfsim", "perfsim.*"]), "perfsim.bundled"],
    package_dir={"perfsim.bundled": "scenarios"},
    package_data={
        "perfsim.bundled": [
            "*.toml",
            "*.md",
            "*/*.toml",
            "*/*.md",
            "data/*.csv",
            "data/*.csv.gz",
        ],
        # the reports' gettext catalogues: compiled in memory by Babel at first use (no .mo)
        "perfsim.i18n": ["locale/*/LC_MESSAGES/*.po"],
    },
)
