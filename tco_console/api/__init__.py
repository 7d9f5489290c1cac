"""The TCO API (issue 15): Tencent Cloud's API 3.0 wire format answered at the console's own
address, so the official `tencentcloud-sdk-python` and `tccli` drive the console as they
drive TCO.

`endpoint` is the view (`POST /` with `X-TC-Action`), `signature` verifies TC3-HMAC-SHA256,
`params` validates request parameters the way TCO does, `errors` is the error envelope, and
`actions_2021` holds the actions, each calling the console's own selectors and services. The
shell layer: it may import both apps; neither app imports it.
"""
