"""Admin commands: drafting and publishing appeals, outcomes, withdrawals, figures, admins."""
