from django.contrib.auth import views as auth_views
from django.urls import path

from . import invitations, views

urlpatterns = [
    path("login/", views.ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("messages/", views.messaging_profile, name="messaging_profile"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.ThrottledPasswordResetView.as_view(), name="password_reset"),
    path("password/reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.UnlockingPasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("invitation/<uidb64>/<token>/", invitations.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
