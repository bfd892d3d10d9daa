"""Platform (Twitter/X) accounts, held pools and claims."""
