"""The HTTP side. :mod:`.app` is the factory; :mod:`.api` the JSON API (one module per
resource), :mod:`.console` the NOC console's pages and sign-in; shared by both: :mod:`.keys`
(every app and request key), :mod:`.access` (who calls, role checks, request bodies),
:mod:`.answers` (errors as answers), :mod:`.auth` (credentials), :mod:`.sessions` (browser
sessions) and :mod:`.live` (the live-update feed); :mod:`.malformed` answers a request aiohttp
could not parse (``bridge serve``'s runner)."""
