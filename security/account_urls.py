"""The pages of one's own account that the security controls own (the password change with its history rule).
Included under accounts/ before the organisation's sign-in pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
]
