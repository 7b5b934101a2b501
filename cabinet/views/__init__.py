"""The customer cabinet's pages: thin views over the customers and loyalty services."""
