"""Where a form may send a person back to after it is posted."""

from django.utils.http import url_has_allowed_host_and_scheme


def next_or(request, fallback: str) -> str:
    """The form's `next` when it is a printable path of this site, else `fallback` (a URL or a
    URL name). Anything else is refused: another host, a scheme, and any other word, which
    redirect() would take for the name of a URL."""
    target = request.POST.get("next", "")
    if (
        target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return fallback
