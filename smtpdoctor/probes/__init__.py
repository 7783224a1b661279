"""One module per probe; each is an ``async def`` taking the Session and
returning result values. They never print."""
