"""Sign-up: a new account and its owner, the one page an anonymous visitor fills in."""

from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tco_console.errors import DomainError
from tco_console.viewkit import bound_data

from .. import services
from ..forms import SignUpForm


def sign_up(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(bound_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            user = services.account_sign_up(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                email=form.cleaned_data["email"],
                account_name=form.cleaned_data["account_name"],
                enterprise_name=form.cleaned_data["enterprise_name"],
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, _("Welcome! Your account UIN is %(uin)s.") % {"uin": user.account.uin}
            )
            return redirect("home")
    status = 422 if request.method == "POST" else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)
