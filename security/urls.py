from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("accounts/second-factor/", views.otp_verify, name="otp_verify"),
    path("accounts/second-factor/setup/", views.otp_setup, name="otp_setup"),
    path("accounts/second-factor/recovery-codes/", views.otp_recovery_codes, name="otp_recovery_codes"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export/", views.audit_export, name="audit_export"),
]
