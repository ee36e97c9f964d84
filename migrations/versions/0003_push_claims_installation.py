"""fenced push claims, the installation row, work requests that wait

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'installation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('installation_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            'database_identity', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False
        ),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('confirmed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('eom_draft', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'claim_owner', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False,
                server_default='',
            )
        )
        batch_op.add_column(
            sa.Column(
                'claim_token', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False,
                server_default='',
            )
        )
    with op.batch_alter_table('eom_draft', schema=None) as batch_op:
        batch_op.alter_column('claim_owner', server_default=None)
        batch_op.alter_column('claim_token', server_default=None)
    with op.batch_alter_table('work_request', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('not_before', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('work_request', schema=None) as batch_op:
        batch_op.drop_column('not_before')
    with op.batch_alter_table('eom_draft', schema=None) as batch_op:
        batch_op.drop_column('claim_token')
        batch_op.drop_column('claim_owner')
    op.drop_table('installation')
