"""Every table, importable from one place."""

from storage.cards import CardScan
from storage.customers import Contact, Customer, CustomerShare, Lead
from storage.deals import Activity, Deal, FollowUp, Stage, StageChange
from storage.fulfil import Invoice, InvoiceTitle, OrderStep
from storage.imports import ImportBatch, LeadScoring
from storage.inbox import InboxEntry
from storage.money import Approval, Installment, Payment, Product, Quote, QuoteLine, SalesOrder, Target
from storage.people import ChatIdentity, Invite, Team, User
from storage.plumbing import ActionToken, AuditLog, Conversation, Counter, Outbox, ProcessedEvent, Reminder
from storage.surveys import Survey
from storage.threads import DealThread, MessageLink
from storage.tickets import Ticket, TicketEvent, TicketTarget
from storage.trust import AuditUnlock, RateWindow

__all__ = [
    "ActionToken",
    "Activity",
    "Approval",
    "AuditLog",
    "AuditUnlock",
    "CardScan",
    "ChatIdentity",
    "Contact",
    "Conversation",
    "Counter",
    "Customer",
    "CustomerShare",
    "Deal",
    "DealThread",
    "FollowUp",
    "ImportBatch",
    "InboxEntry",
    "Installment",
    "Invite",
    "Invoice",
    "InvoiceTitle",
    "Lead",
    "LeadScoring",
    "MessageLink",
    "OrderStep",
    "Outbox",
    "Payment",
    "ProcessedEvent",
    "Product",
    "Quote",
    "QuoteLine",
    "RateWindow",
    "Reminder",
    "SalesOrder",
    "Stage",
    "StageChange",
    "Survey",
    "Target",
    "Team",
    "Ticket",
    "TicketEvent",
    "TicketTarget",
    "User",
]
