"""``train serve``: a trained model behind a JSON API and a small page, on 127.0.0.1."""
