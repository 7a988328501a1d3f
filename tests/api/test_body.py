"""Request bodies with big image data URLs encode to exactly what `json.dumps` would produce."""

from __future__ import annotations

import base64
import json
import os

from tui.api.body import encode_body


def test_big_data_urls_are_spliced_in_and_the_json_is_the_same() -> None:
    url = "data:image/png;base64," + base64.b64encode(os.urandom(200_000)).decode()
    body = {"model": "qwen3.5-plus", "input": [{"role": "user", "content": [
        {"type": "input_image", "image_url": url}, {"type": "input_image", "image_url": url + "QQ=="},
        {"type": "input_text", "text": "Wie geht's? \u00fc \"quoted\" \\ \x00"}]}], "stream": True}
    encoded = encode_body(body)
    assert encoded == json.dumps(body, ensure_ascii=False).encode()
    assert json.loads(encoded) == body


def test_a_big_string_that_needs_escaping_is_escaped_as_usual() -> None:
    sneaky = "data:image/png;base64," + "A" * 70_000 + '"},"model":"evil'
    body = {"input": [{"content": [{"image_url": sneaky}]}]}
    assert json.loads(encode_body(body)) == body
