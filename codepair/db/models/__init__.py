"""The relational schema, a module per concept (as in codepair.domain). Every change here
comes with an Alembic migration.

Importing this package imports every concept's module, which puts its tables in
``Base.metadata`` for Alembic and for tests that walk every table.
"""

from codepair.db.models import accounts as accounts
from codepair.db.models import ai as ai
from codepair.db.models import assessments as assessments
from codepair.db.models import integrations as integrations
from codepair.db.models import interviews as interviews
from codepair.db.models import operations as operations
from codepair.db.models import questions as questions
from codepair.db.models import record as record
from codepair.db.models import reports as reports
from codepair.db.models import terminal as terminal
