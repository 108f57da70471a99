"""Every template renders in every set and language; a broken one fails loudly; HTML is escaped."""
import shutil

import pytest
from jinja2 import UndefinedError

from booking_app.notify import render


def test_every_kind_set_and_language_renders():
    assert render.validate_all() == len(render.KINDS) * len(render.SETS) * len(render.LANGUAGES)


def test_customer_html_is_escaped_everywhere():
    out = render.render("confirmation", template_set="consultation", lang="en", context=render.SAMPLE,
                        details=[("when", "<b>x</b>")], actions=[("manage", "https://x")])
    assert "<script>" not in out.html and "&lt;script&gt;" in out.html and "&lt;b&gt;" in out.html
    assert "Harbor &lt;Physio&gt;" in out.html


def test_a_template_with_a_typo_fails_validation(tmp_path, monkeypatch):
    broken = tmp_path / "templates"
    shutil.copytree(render.TEMPLATES, broken)
    toml = broken / "support" / "de.toml"
    toml.write_text(toml.read_text().replace("{{ customer_name }}", "{{ customer_nmae }}", 1))
    assert "customer_nmae" in toml.read_text()
    monkeypatch.setattr(render, "TEMPLATES", broken)
    render._texts.cache_clear()
    try:
        with pytest.raises(UndefinedError, match="customer_nmae"):
            render.validate_all()
    finally:
        render._texts.cache_clear()
