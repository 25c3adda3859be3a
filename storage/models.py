"""Every table, importable from one place."""

from storage.customers import Contact, Customer, CustomerShare, Lead
from storage.deals import Activity, Deal, FollowUp, Stage, StageChange
from storage.imports import ImportBatch, LeadScoring
from storage.money import Approval, Installment, Payment, Product, Quote, QuoteLine, SalesOrder, Target
from storage.people import ChatIdentity, Invite, Team, User
from storage.plumbing import ActionToken, AuditLog, Conversation, Counter, Outbox, ProcessedEvent, Reminder

__all__ = [
    "ActionToken",
    "Activity",
    "Approval",
    "AuditLog",
    "ChatIdentity",
    "Contact",
    "Conversation",
    "Counter",
    "Customer",
    "CustomerShare",
    "Deal",
    "FollowUp",
    "ImportBatch",
    "Installment",
    "Invite",
    "Lead",
    "LeadScoring",
    "Outbox",
    "Payment",
    "ProcessedEvent",
    "Product",
    "Quote",
    "QuoteLine",
    "Reminder",
    "SalesOrder",
    "Stage",
    "StageChange",
    "Target",
    "Team",
    "User",
]
