"""authlib request objects built from a Starlette request (whose form was read beforehand)."""

from collections import defaultdict

from authlib.oauth2.rfc6749 import OAuth2Payload, OAuth2Request


class FormData(dict):
    """First value per key (what authlib's ``.get`` expects) plus the full lists."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__()
        self.lists: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self.lists[key].append(value)
            self.setdefault(key, value)


class _Payload(OAuth2Payload):
    def __init__(self, data: FormData) -> None:
        self._data = data

    @property
    def data(self) -> FormData:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._data.lists


class StarletteOAuth2Request(OAuth2Request):
    def __init__(
        self,
        *,
        method: str,
        url: str,
        headers: dict[str, str],
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ) -> None:
        super().__init__(method=method, uri=url, headers=headers)
        self._args = FormData(query)
        self._form = FormData(form)
        self.payload = _Payload(FormData(query + form))

    @property
    def args(self) -> FormData:
        return self._args

    @property
    def form(self) -> FormData:
        return self._form
