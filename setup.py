"""Packaging reads everything from settings.ini, the project's single source of settings."""
import shutil
from configparser import ConfigParser
from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

config = ConfigParser(delimiters=["="])
config.read("settings.ini", encoding="utf-8")
cfg = config["DEFAULT"]

licenses = {"apache2": "Apache-2.0"}  # SPDX identifiers
status_names = {"1": "Planning", "2": "Pre-Alpha", "3": "Alpha", "4": "Beta", "5": "Production/Stable"}

class BuildPyWithFigures(build_py):
    "Also ship the repository's paper_figures/ notebooks inside the package: an installed wheel runs `coreset_nb reproduce`."
    def run(self):
        super().run()
        dst = Path(self.build_lib) / cfg["lib_path"] / "paper_figures"
        dst.mkdir(parents=True, exist_ok=True)
        for nb in sorted(Path(__file__).resolve().parent.joinpath("paper_figures").glob("*.ipynb")):
            shutil.copy2(nb, dst / nb.name)


setup(
    name=cfg["lib_name"],
    cmdclass={"build_py": BuildPyWithFigures},
    version=cfg["version"],
    description=cfg["description"],
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    author=cfg["author"],
    author_email=cfg["author_email"],
    license=licenses[cfg["license"]],
    url=cfg["git_url"],
    keywords=cfg["keywords"].split(),
    classifiers=[
        f"Development Status :: {cfg['status']} - {status_names[cfg['status']]}",
        f"Intended Audience :: {cfg['audience']}",
        "Natural Language :: English",
        "Programming Language :: Python :: 3",
    ],
    python_requires=f">={cfg['min_python']}",
    packages=find_namespace_packages(include=[cfg["lib_path"], cfg["lib_path"] + ".*"]),  # incl. assets/, configs/
    include_package_data=True,
    package_data={cfg["lib_path"]: ["assets/*", "configs/*.yaml", "paper_figures/*.ipynb"]},
    install_requires=cfg["requirements"].split(),
    extras_require={
        "dev": cfg["dev_requirements"].split(),
        "skextra": cfg["skextra_requirements"].split(),
        "docs": cfg["docs_requirements"].split(),  # `make docs`: the site built with MkDocs from the notebooks
    },
    entry_points={"console_scripts": cfg["console_scripts"].split()},
    zip_safe=False,
)
