"""The account profile's own records (PRODUCT §4): the customer's strategy, goals and
initiatives, and their buying process. The rest of the profile is read from the apps that own
it (sales, customers, identification) by the web page."""
